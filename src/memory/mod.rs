//! Long-term memory: facts saved across conversations, per profile. It owns adding (with an
//! embedding when one can be made), hybrid search (the exact vector scan and FTS5, merged by
//! reciprocal rank fusion), recall before a turn (vector similarity above a floor), re-embedding
//! after a change of embedding model, and what to tell the user when it had to fall back to
//! full-text search. The rows live in the store (`store::memories`, scoped to the store's
//! profile); the vectors come from the provider clients (`embedder.rs`).
//!
//! Memory text is data, never instructions: `recall.rs` quotes it for the model.

pub mod embedder;
pub mod fusion;
pub mod recall;

use crate::config::memory::MemoryConfig;
use crate::providers::ProviderSet;
use crate::store::memories::MemoryRow;
use crate::store::{Store, StoreError};
use embedder::Embedder;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "cannot re-embed: {0} (check [memory] embedding_model and that its provider is up, then run `harness memory reindex` again)"
    )]
    Reindex(String),
}

/// One search result (`harness memory search --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryHit {
    pub id: String,
    pub text: String,
    /// Hybrid: the fused rank score; vector-only recall: cosine similarity; full text: the
    /// negated bm25 rank (higher is better in every case).
    pub score: f32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub source: String,
}

/// Search results and what the user should know about how they were found.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hits: Vec<MemoryHit>,
    /// One line each: a fallback to full text, memories embedded by another model.
    pub notes: Vec<String>,
}

/// The memory of one profile (the store's). Cheap to clone.
#[derive(Clone)]
pub struct MemoryService {
    store: Store,
    embedder: Result<Embedder, String>,
    config: MemoryConfig,
}

impl std::fmt::Debug for MemoryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryService")
            .field("profile", &self.store.profile())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// How much of a prompt recall looks at (characters).
const RECALL_PROMPT_CHARS: usize = 2000;

/// The first `max` characters of `text`.
fn head(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(i, _)| &text[..i])
}

/// How many candidates each ranking contributes to the fusion, per result wanted.
const CANDIDATES_PER_RESULT: usize = 4;

impl MemoryService {
    pub fn new(store: Store, providers: &ProviderSet, config: &MemoryConfig) -> Self {
        Self {
            store,
            embedder: Embedder::from_config(&config.embedding_model, providers),
            config: config.clone(),
        }
    }

    /// The same memory for another store handle (another profile).
    pub fn for_store(&self, store: Store) -> Self {
        Self {
            store,
            embedder: self.embedder.clone(),
            config: self.config.clone(),
        }
    }

    pub fn config(&self) -> &MemoryConfig {
        &self.config
    }

    pub fn profile(&self) -> &str {
        self.store.profile()
    }

    /// Save `text`; the second value says why it has no vector, if it has none.
    pub async fn add(
        &self,
        text: &str,
        source: &str,
    ) -> Result<(MemoryRow, Option<String>), MemoryError> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(StoreError::Invalid(
                "a memory cannot be empty: give the text to remember".to_string(),
            )
            .into());
        }
        let (vector, note) = match self.embed_one(&text).await {
            Ok(v) => (Some(v), None),
            Err(reason) => (
                None,
                Some(format!(
                    "saved without an embedding ({reason}); search finds it by its words until `harness memory reindex`"
                )),
            ),
        };
        let model = self.model_reference();
        let source = source.to_string();
        let row = self
            .store
            .call(move |c| {
                let embedding = vector
                    .as_deref()
                    .map(|v| crate::store::memories::Embedding {
                        model: &model,
                        vector: v,
                    });
                crate::store::memories::insert(c, &text, &source, embedding)
            })
            .await?;
        Ok((row, note))
    }

    pub async fn list(&self, limit: u32) -> Result<Vec<MemoryRow>, MemoryError> {
        Ok(self
            .store
            .call(move |c| crate::store::memories::list(c, limit))
            .await?)
    }

    /// Delete by id or unique prefix; returns the full id.
    pub async fn delete(&self, id: &str) -> Result<String, MemoryError> {
        let id = id.to_string();
        Ok(self
            .store
            .call(move |c| {
                let full = crate::store::memories::resolve(c, &id)?;
                crate::store::memories::delete(c, &full)?;
                Ok(full)
            })
            .await?)
    }

    /// Hybrid search: vectors and full text fused; full text alone (said in `notes`) when no
    /// query vector can be made.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Found, MemoryError> {
        let limit = limit.max(1) as usize;
        let wanted = limit * CANDIDATES_PER_RESULT;
        let fts_query = crate::store::search::fts_query_any(query);
        let mut notes = Vec::new();
        let vector = match self.embed_one(query).await {
            Ok(v) => Some(v),
            Err(reason) => {
                notes.push(format!(
                    "embeddings unavailable ({reason}): searched by full text only"
                ));
                None
            }
        };
        let model = self.model_reference();
        let (rows, ranked, stale) = self
            .store
            .call(move |c| {
                use crate::store::memories as m;
                let by_text: Vec<i64> = match &fts_query {
                    Some(q) => m::fts(c, q, wanted as u32)?
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect(),
                    None => Vec::new(),
                };
                let by_vector: Vec<i64> = match &vector {
                    Some(v) => m::nearest(c, &model, v, wanted)?
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect(),
                    None => Vec::new(),
                };
                let fused = fusion::reciprocal_rank_fusion(&[by_vector, by_text], fusion::RRF_K);
                let top: Vec<(i64, f32)> = fused.into_iter().take(limit).collect();
                let seqs: Vec<i64> = top.iter().map(|(s, _)| *s).collect();
                let stale = if vector.is_some() {
                    m::embedding_counts(c, &model)?
                } else {
                    (0, 0)
                };
                Ok((m::by_seq(c, &seqs)?, top, stale))
            })
            .await?;
        if stale.1 > 0 {
            notes.push(stale_note(stale.1, stale.0, &self.model_reference()));
        }
        let hits = rows
            .into_iter()
            .zip(ranked)
            .map(|(row, (_, score))| hit(row, score))
            .collect();
        Ok(Found { hits, notes })
    }

    /// The memories to recall before a turn whose user text is `prompt`: by vector similarity
    /// above `[memory] recall_min_score`, or, without embeddings, by full text over the
    /// prompt's longer words (said in `notes`).
    pub async fn recall(&self, prompt: &str) -> Result<Found, MemoryError> {
        let limit = self.config.recall_limit as usize;
        if limit == 0 {
            return Ok(Found::default());
        }
        let floor = self.config.recall_min_score;
        let model = self.model_reference();
        // A pasted file does not need embedding whole to find what it is about.
        let prompt = head(prompt, RECALL_PROMPT_CHARS);
        match self.embed_one(prompt).await {
            Ok(vector) => {
                let hits = self
                    .store
                    .call(move |c| {
                        use crate::store::memories as m;
                        let near: Vec<(i64, f32)> = m::nearest(c, &model, &vector, limit)?
                            .into_iter()
                            .filter(|(_, score)| *score >= floor)
                            .collect();
                        let seqs: Vec<i64> = near.iter().map(|(s, _)| *s).collect();
                        let rows = m::by_seq(c, &seqs)?;
                        Ok(rows
                            .into_iter()
                            .zip(near)
                            .map(|(r, (_, s))| hit(r, s))
                            .collect())
                    })
                    .await?;
                Ok(Found {
                    hits,
                    notes: Vec::new(),
                })
            }
            Err(reason) => {
                let Some(q) = crate::store::search::fts_query_significant(prompt) else {
                    return Ok(Found::default());
                };
                let hits = self
                    .store
                    .call(move |c| {
                        use crate::store::memories as m;
                        let ranked = m::fts(c, &q, limit as u32)?;
                        let seqs: Vec<i64> = ranked.iter().map(|(s, _)| *s).collect();
                        let rows = m::by_seq(c, &seqs)?;
                        Ok(rows
                            .into_iter()
                            .zip(ranked)
                            .map(|(r, (_, rank))| hit(r, -(rank as f32)))
                            .collect())
                    })
                    .await?;
                Ok(Found {
                    hits,
                    notes: vec![format!(
                        "embeddings unavailable ({reason}): recalled by full text"
                    )],
                })
            }
        }
    }

    /// Re-embed every memory of the profile that has no vector from the configured model.
    /// Returns how many were embedded.
    pub async fn reindex(&self) -> Result<u64, MemoryError> {
        const BATCH: u32 = 64;
        let embedder = self
            .embedder
            .as_ref()
            .map_err(|r| MemoryError::Reindex(r.clone()))?;
        let model = self.model_reference();
        let mut after = 0i64;
        let mut done = 0u64;
        loop {
            let m = model.clone();
            let batch = self
                .store
                .call(move |c| crate::store::memories::needing_embedding(c, &m, after, BATCH))
                .await?;
            let Some((last, _)) = batch.last() else {
                return Ok(done);
            };
            after = *last;
            let texts: Vec<String> = batch.iter().map(|(_, t)| t.clone()).collect();
            let vectors = embedder
                .embed(&texts)
                .await
                .map_err(|e| MemoryError::Reindex(e.to_string()))?;
            let rows: Vec<(i64, Vec<f32>)> = batch.iter().map(|(s, _)| *s).zip(vectors).collect();
            done += rows.len() as u64;
            let m = model.clone();
            self.store
                .call(move |c| crate::store::memories::set_embeddings(c, &m, &rows))
                .await?;
        }
    }

    /// How many memories there are and how many lack a vector from the configured model.
    pub async fn embedding_counts(&self) -> Result<(u64, u64), MemoryError> {
        let model = self.model_reference();
        Ok(self
            .store
            .call(move |c| crate::store::memories::embedding_counts(c, &model))
            .await?)
    }

    /// `provider/model` of the embedding model.
    pub fn model_reference(&self) -> String {
        self.config.embedding_model.clone()
    }

    async fn embed_one(&self, text: &str) -> Result<Vec<f32>, String> {
        let embedder = self.embedder.as_ref().map_err(Clone::clone)?;
        let mut vectors = embedder
            .embed(&[text.to_string()])
            .await
            .map_err(|e| e.to_string())?;
        vectors
            .pop()
            .ok_or_else(|| "no embedding came back".to_string())
    }
}

fn hit(row: MemoryRow, score: f32) -> MemoryHit {
    MemoryHit {
        id: row.id,
        text: row.text,
        score,
        created_at: row.created_at,
        source: row.source,
    }
}

fn stale_note(stale: u64, all: u64, model: &str) -> String {
    format!(
        "{stale} of {all} memories have no embedding from {model} (the embedding model changed, or it was down when they were saved): they are found by their words only until `harness memory reindex`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_cuts_on_character_boundaries() {
        let cases = [
            ("hello", 3, "hel"),
            ("héllo", 2, "hé"),
            ("ab", 5, "ab"),
            ("", 1, ""),
        ];
        for (text, max, want) in cases {
            assert_eq!(head(text, max), want, "{text}");
        }
    }

    #[test]
    fn the_stale_note_names_the_model_and_the_fix() {
        let note = stale_note(2, 5, "ollama/nomic-embed-text");
        assert!(note.starts_with("2 of 5 memories have no embedding from ollama/nomic-embed-text"));
        assert!(note.contains("harness memory reindex"));
    }
}
