//! Memory rows (`memories`, migration 0007) of the store's profile: insert, list, resolve and
//! delete, full-text candidates (FTS5, bm25), the exact vector scan over the compact BLOB
//! column, and the bookkeeping of which embedding model made each vector (so a change of model
//! is seen and `reindex` knows what to redo). Like every query of the store, each one is
//! limited to `harness_profile()` (see `profile_scope`).

use super::vector::{TopK, dot_blob, to_blob};
use super::{StoreError, from_ms, now_ms};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// One stored memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryRow {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub text: String,
    /// Who saved it: `cli`, `tool` (the model), `tui`, `api`.
    pub source: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The `provider/model` that embedded it, `None` when it has no vector.
    #[serde(skip)]
    pub embedding_model: Option<String>,
}

/// A vector with the model that made it.
#[derive(Debug, Clone, Copy)]
pub struct Embedding<'a> {
    pub model: &'a str,
    /// Unit length.
    pub vector: &'a [f32],
}

const COLUMNS: &str = "seq, id, text, source, created_at, embedding_model";

fn row(r: &Row<'_>) -> rusqlite::Result<MemoryRow> {
    Ok(MemoryRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        text: r.get(2)?,
        source: r.get(3)?,
        created_at: from_ms(r.get(4)?),
        embedding_model: r.get(5)?,
    })
}

pub fn insert(
    conn: &Connection,
    text: &str,
    source: &str,
    embedding: Option<Embedding<'_>>,
) -> Result<MemoryRow, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(
            "a memory cannot be empty: give the text to remember".to_string(),
        ));
    }
    // Random (v4), so the first characters tell memories apart (`memory delete 3f2a`).
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO memories (id, profile, text, source, created_at, embedding, embedding_model, embedding_dim)
         VALUES (?1, harness_profile(), ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            text,
            source,
            now_ms(),
            embedding.map(|e| to_blob(e.vector)),
            embedding.map(|e| e.model),
            embedding.map(|e| e.vector.len() as i64),
        ],
    )?;
    get(conn, &id)
}

fn get(conn: &Connection, id: &str) -> Result<MemoryRow, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM memories WHERE id = ?1 AND profile = harness_profile()"),
        [id],
        row,
    )
    .optional()?
    .ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> StoreError {
    StoreError::Invalid(format!(
        "no memory matches `{id}`: see `harness memory list`"
    ))
}

/// Newest first.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<MemoryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM memories WHERE profile = harness_profile() ORDER BY seq DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([i64::from(limit.max(1))], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The memories with these row numbers, in the order given (missing ones skipped).
pub fn by_seq(conn: &Connection, seqs: &[i64]) -> Result<Vec<MemoryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM memories WHERE seq = ?1 AND profile = harness_profile()"
    ))?;
    let mut out = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(found) = stmt.query_row([seq], row).optional()? {
            out.push(found);
        }
    }
    Ok(out)
}

/// A full id or a unique prefix of one (at least 4 characters).
pub fn resolve(conn: &Connection, prefix: &str) -> Result<String, StoreError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(not_found(&prefix));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM memories WHERE profile = harness_profile() AND id >= ?1 AND id < ?1 || 'g'
          ORDER BY id LIMIT 6",
    )?;
    let ids: Vec<String> = stmt
        .query_map([&prefix], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    match ids.as_slice() {
        [] => Err(not_found(&prefix)),
        [one] => Ok(one.clone()),
        many => Err(StoreError::Invalid(format!(
            "`{prefix}` matches {} memories ({}): give more of the id",
            if many.len() > 5 {
                "6 or more".to_string()
            } else {
                many.len().to_string()
            },
            many.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

pub fn delete(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let rows = conn.execute(
        "DELETE FROM memories WHERE id = ?1 AND profile = harness_profile()",
        [id],
    )?;
    if rows == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Full-text candidates, best (lowest bm25) first: row number and bm25 rank.
pub fn fts(conn: &Connection, fts_query: &str, limit: u32) -> Result<Vec<(i64, f64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.seq, bm25(memories_fts) AS rank
           FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
          WHERE memories_fts MATCH ?1 AND m.profile = harness_profile()
          ORDER BY rank LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![fts_query, i64::from(limit.max(1))], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `limit` memories whose vector (made by `model`) is most similar to the unit vector
/// `query`, best first, with their cosine similarity. An exact scan: every vector of the
/// profile is read once, compared as it lies in its BLOB.
pub fn nearest(
    conn: &Connection,
    model: &str,
    query: &[f32],
    limit: usize,
) -> Result<Vec<(i64, f32)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, embedding FROM memories
          WHERE profile = harness_profile() AND embedding_model = ?1 AND embedding_dim = ?2",
    )?;
    let mut rows = stmt.query(params![model, query.len() as i64])?;
    let mut top = TopK::new(limit);
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if let rusqlite::types::ValueRef::Blob(blob) = r.get_ref(1)?
            && let Some(score) = dot_blob(query, blob)
        {
            top.push(score, seq);
        }
    }
    Ok(top.into_sorted().into_iter().map(|(s, k)| (k, s)).collect())
}

/// How many memories the profile has, and how many lack a vector from `model`.
pub fn embedding_counts(conn: &Connection, model: &str) -> Result<(u64, u64), StoreError> {
    let (all, stale): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(embedding_model IS NOT ?1), 0)
           FROM memories WHERE profile = harness_profile()",
        [model],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((all.max(0) as u64, stale.max(0) as u64))
}

/// Up to `limit` memories without a vector from `model` (the next batch to re-embed).
pub fn needing_embedding(
    conn: &Connection,
    model: &str,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, text FROM memories
          WHERE profile = harness_profile() AND embedding_model IS NOT ?1 AND seq > ?2
          ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![model, after_seq, i64::from(limit)], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Store the vectors of a batch (one transaction).
pub fn set_embeddings(
    conn: &mut Connection,
    model: &str,
    batch: &[(i64, Vec<f32>)],
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE memories SET embedding = ?2, embedding_model = ?3, embedding_dim = ?4
              WHERE seq = ?1 AND profile = harness_profile()",
        )?;
        for (seq, vector) in batch {
            stmt.execute(params![seq, to_blob(vector), model, vector.len() as i64])?;
        }
    }
    tx.commit()?;
    Ok(())
}
