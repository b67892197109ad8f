//! `harness profiles`: every profile that owns something (conversations, memories, jobs, API
//! tokens, prompt history), with counts. The one query of the store that looks across profiles,
//! on purpose: it names them, and shows nothing they hold.

use super::StoreError;
use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    pub name: String,
    /// This process's profile (`--profile` / `HARNESS_PROFILE`).
    pub current: bool,
    pub conversations: u64,
    pub memories: u64,
    pub jobs: u64,
    pub tokens: u64,
}

impl ProfileSummary {
    pub fn empty(name: &str) -> Self {
        Self {
            name: name.to_string(),
            current: false,
            conversations: 0,
            memories: 0,
            jobs: 0,
            tokens: 0,
        }
    }
}

pub fn list(conn: &Connection) -> Result<Vec<ProfileSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "WITH owned(profile, kind) AS (
             SELECT profile, 'c' FROM conversations WHERE deleted_at IS NULL
             UNION ALL SELECT profile, 'm' FROM memories
             UNION ALL SELECT profile, 'j' FROM jobs
             UNION ALL SELECT profile, 't' FROM api_tokens WHERE revoked_at IS NULL
             UNION ALL SELECT profile, 'p' FROM prompt_history)
         SELECT profile, SUM(kind = 'c'), SUM(kind = 'm'), SUM(kind = 'j'), SUM(kind = 't')
           FROM owned GROUP BY profile ORDER BY profile",
    )?;
    let rows = stmt.query_map([], |r| {
        let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
        Ok(ProfileSummary {
            name: r.get(0)?,
            current: false,
            conversations: n(1)?,
            memories: n(2)?,
            jobs: n(3)?,
            tokens: n(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
