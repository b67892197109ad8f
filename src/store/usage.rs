//! The cost ledger's table (`usage`, migration 0002): one row per model request, written as
//! soon as the request's usage is known, and the reads `harness usage`, `/cost` and budgets
//! need. Rows carry the profile they were spent under; every read is scoped by profile.

use super::{Store, StoreError};
use crate::message::ConversationId;
use crate::usage::{CostSource, UsageKind, UsageRecord};
use rusqlite::{Connection, Row, params};

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Add one row.
pub fn insert(conn: &Connection, r: &UsageRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO usage (profile, kind, conversation_id, agent, provider, model, input_tokens,
             output_tokens, cached_input_tokens, cache_write_input_tokens, cost_usd, cost_source,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        r.profile,
        r.kind.as_str(),
        r.conversation_id.map(|c| c.to_string()),
        r.agent,
        r.provider,
        r.model,
        to_i64(r.input_tokens),
        to_i64(r.output_tokens),
        to_i64(r.cached_input_tokens),
        to_i64(r.cache_write_input_tokens),
        r.cost_usd,
        r.cost_source.as_str(),
        r.created_at,
    ])?;
    Ok(())
}

const COLUMNS: &str = "profile, kind, conversation_id, agent, provider, model, input_tokens,
    output_tokens, cached_input_tokens, cache_write_input_tokens, cost_usd, cost_source, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<UsageRecord> {
    let n = |i: usize| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap_or(0))
    };
    let kind: String = row.get(1)?;
    let conversation: Option<String> = row.get(2)?;
    let source: String = row.get(11)?;
    Ok(UsageRecord {
        profile: row.get(0)?,
        // Kinds added by a later version read as replies rather than failing the whole query.
        kind: UsageKind::parse(&kind).unwrap_or(UsageKind::Reply),
        conversation_id: conversation.and_then(|c| c.parse().ok()),
        agent: row.get(3)?,
        provider: row.get(4)?,
        model: row.get(5)?,
        input_tokens: n(6)?,
        output_tokens: n(7)?,
        cached_input_tokens: n(8)?,
        cache_write_input_tokens: n(9)?,
        cost_usd: row.get(10)?,
        cost_source: CostSource::parse(&source),
        created_at: row.get(12)?,
    })
}

/// Rows of `profile` from `since_ms` on, oldest first.
pub fn since(
    conn: &Connection,
    profile: &str,
    since_ms: i64,
) -> Result<Vec<UsageRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM usage WHERE profile = ?1 AND created_at >= ?2 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map(params![profile, since_ms], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Rows of one conversation (every profile: a conversation belongs to one), oldest first.
pub fn of_conversation(
    conn: &Connection,
    id: ConversationId,
) -> Result<Vec<UsageRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM usage WHERE conversation_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([id.to_string()], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Known spend of `profile` from `since_ms` on (unknown costs are not in it).
pub fn spent_since(conn: &Connection, profile: &str, since_ms: i64) -> Result<f64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(cost_usd), 0.0) FROM usage WHERE profile = ?1 AND created_at >= ?2",
        )?
        .query_row(params![profile, since_ms], |r| r.get(0))?)
}

impl Store {
    /// Write one ledger row, as a deferred commit (durable with the reply it prices, or the
    /// end of the turn: see `store::durability`).
    pub async fn record_usage(&self, record: UsageRecord) -> Result<(), StoreError> {
        self.call_deferred(move |c| insert(c, &record)).await
    }

    pub async fn usage_since(
        &self,
        profile: &str,
        since_ms: i64,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        let profile = profile.to_string();
        self.call(move |c| since(c, &profile, since_ms)).await
    }

    pub async fn conversation_usage(
        &self,
        id: ConversationId,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        self.call(move |c| of_conversation(c, id)).await
    }

    /// Known spend of `profile` since each of the given times (one store round trip).
    pub async fn spent_since(
        &self,
        profile: &str,
        since_ms: Vec<i64>,
    ) -> Result<Vec<f64>, StoreError> {
        let profile = profile.to_string();
        self.call(move |c| {
            since_ms
                .iter()
                .map(|t| spent_since(c, &profile, *t))
                .collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: UsageKind, at: i64, cost: Option<f64>) -> UsageRecord {
        UsageRecord {
            profile: "default".into(),
            kind,
            conversation_id: None,
            agent: Some("general".into()),
            provider: "p".into(),
            model: "p/m".into(),
            input_tokens: 10,
            output_tokens: 2,
            cached_input_tokens: 3,
            cache_write_input_tokens: 4,
            cost_usd: cost,
            cost_source: if cost.is_some() {
                CostSource::Table
            } else {
                CostSource::Unknown
            },
            created_at: at,
        }
    }

    #[test]
    fn rows_round_trip_and_reads_are_scoped() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_to(&mut conn, super::super::migrate::latest_version())
            .unwrap();
        let conv = ConversationId::new();
        let mut a = record(UsageKind::Reply, 1_000, Some(0.5));
        a.conversation_id = Some(conv);
        let b = record(UsageKind::Compaction, 2_000, None);
        let mut other = record(UsageKind::Retry, 3_000, Some(7.0));
        other.profile = "work".into();
        for r in [&a, &b, &other] {
            insert(&conn, r).unwrap();
        }
        assert_eq!(
            since(&conn, "default", 0).unwrap(),
            vec![a.clone(), b.clone()]
        );
        assert_eq!(since(&conn, "default", 1_500).unwrap(), vec![b.clone()]);
        assert_eq!(of_conversation(&conn, conv).unwrap(), vec![a]);
        assert_eq!(spent_since(&conn, "default", 0).unwrap(), 0.5);
        assert_eq!(spent_since(&conn, "work", 0).unwrap(), 7.0);
        assert_eq!(spent_since(&conn, "nobody", 0).unwrap(), 0.0);
        let stored: Option<f64> = conn
            .query_row(
                "SELECT cost_usd FROM usage WHERE kind = 'compaction'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, None, "unknown is NULL, not 0");
    }
}
